import { localBus } from '../../lib/bus/local-bus.js';
import { busContract } from './contract.js';

// Each localBus is a deployment of one instance: nothing is shared between two of them.
busContract(
  'localBus',
  async (n) => {
    const buses = Array.from({ length: n }, () => localBus());
    return { buses, cleanup: async () => void (await Promise.all(buses.map((bus) => bus.close()))) };
  },
  { shared: false },
);
