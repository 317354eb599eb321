/** htm bound to Preact: tagged-template views without a JSX build step. */
export { html } from 'htm/preact';
