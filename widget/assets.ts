/**
 * Fetching the plugin's files (the template, the strings): GET without credentials; when the server cannot be reached, the browser's cached copy (if any), so a
 * page reloaded while the chat server is down keeps its look.
 */
export async function fetchAsset(url: string): Promise<Response> {
  const get = async (cache: RequestCache) => {
    const response = await fetch(url, { credentials: 'omit', cache });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response;
  };
  return get('default').catch(() => get('force-cache'));
}
