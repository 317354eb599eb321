/** The unread count in the page title while the page is hidden: "(3) Shop". No DOM beyond the title; tested in Node. */
export class TitleCount {
  #base = '';
  #shown: string | undefined;
  readonly #doc: { title: string };

  constructor(doc: { title: string }) {
    this.#doc = doc;
  }

  /**
   * "(3) Original title"; 0 puts the original back. A title the page set meanwhile becomes the new
   * original, and is never replaced by an old one.
   */
  show(n: number): void {
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
}
