/** Local time of a message: "14:05" today, "3 Mar, 14:05" before. */
export function formatTime(unixSeconds: number, lang: string, now = Date.now()): string {
  const date = new Date(unixSeconds * 1000);
  const sameDay = date.toDateString() === new Date(now).toDateString();
  const options: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  try {
    return date.toLocaleString(lang, options);
  } catch {
    return date.toLocaleString(undefined, options);
  }
}
