/** Local time of a message: "14:05" today, "3 Mar, 14:05" before (lang is one of ours, so always valid). */
export function formatTime(unixSeconds: number, lang: string, now = Date.now()): string {
  const date = new Date(unixSeconds * 1000);
  const sameDay = date.toDateString() === new Date(now).toDateString();
  const options: Intl.DateTimeFormatOptions = sameDay
    ? { hour: 'numeric', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' };
  return date.toLocaleString(lang, options);
}
