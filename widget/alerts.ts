/**
 * How the widget reaches a user who is in another tab: a short beep (WebAudio: an oscillator, no
 * sound file to fetch) and a desktop notification. Each quietly does nothing where the browser
 * refuses it. The entry of ahchat-alerts.js, which the widget loads the first time a message comes to
 * a hidden page that should beep or notify (widget/chunks.ts); tested in Node.
 */
import { handBack } from './hand-back.js';

export class Alerts {
  #audio: AudioContext | undefined;

  /** A 0.3 s, 880 Hz ping that fades out. */
  beep(): void {
    try {
      const audio = (this.#audio ??= new AudioContext());
      const at = audio.currentTime;
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.3);
    } catch {
      // no audio here (or not allowed): the title and the badge still say it
    }
  }

  /** A desktop notification (the caller checked the permission); a click focuses the page and runs onClick. */
  notify(title: string, body: string, tag: string, onClick: () => void): void {
    try {
      const note = new Notification(title, { body, tag });
      note.onclick = () => {
        note.close();
        focus();
        onClick();
      };
    } catch {
      // Chrome on Android only notifies through a service worker
    }
  }

  /** Releases the audio device. */
  close(): void {
    void this.#audio?.close();
  }
}

// Hand the class to the widget that loaded this file.
handBack('alerts', Alerts);
