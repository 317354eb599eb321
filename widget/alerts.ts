/**
 * How the widget reaches a user who is in another tab: the unread count in the page title, a short
 * beep (WebAudio: an oscillator, no sound file to fetch) and a desktop notification. Each quietly does
 * nothing where the browser refuses it. No Preact; the title part is tested in Node.
 */
export class Alerts {
  #base = '';
  #shown: string | undefined;
  #audio: AudioContext | undefined;
  readonly #doc: { title: string };

  constructor(doc: { title: string }) {
    this.#doc = doc;
  }

  /**
   * "(3) Original title"; 0 puts the original back. A title the page set meanwhile becomes the new
   * original, and is never replaced by an old one.
   */
  title(n: number): void {
    const doc = this.#doc;
    const ours = this.#shown !== undefined && doc.title === this.#shown;
    if (!ours) {
      this.#base = doc.title;
      this.#shown = undefined;
    }
    if (n > 0) {
      this.#shown = `(${n}) ${this.#base}`;
      if (doc.title !== this.#shown) doc.title = this.#shown;
    } else if (ours) {
      doc.title = this.#base;
      this.#shown = undefined;
    }
  }

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

  /** Puts the title back and releases the audio device. */
  close(): void {
    this.title(0);
    void this.#audio?.close();
  }
}
