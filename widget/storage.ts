/**
 * localStorage that never throws: private modes and sandboxed frames refuse it, and the chat must
 * still work there (the buyer then signs up again after a reload).
 */
export function readItem(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeItem(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage full or refused: the value lives as long as the page
  }
}
