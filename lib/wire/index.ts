/** The wire protocol both sides import (the widget type-only): see README.md beside this file. */
export * from './errors.js';
export * from './frames.js';
export * from './limits.js';
export * from './parse.js';
export * from './requests.js';
export * from './validate.js';
