/** The demo shop's pages: plain HTML, as a shop would write them. */

const layout = (title, body, { wide = false } = {}) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · AH Chat demo shop</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.55 Georgia, "Times New Roman", serif; color: #2b2b2b; background: #faf7f2; }
  header.shop { display: flex; align-items: center; justify-content: space-between; padding: 14px 24px; background: #23402f; color: #f3efe6; }
  header.shop a { color: inherit; text-decoration: none; margin-left: 18px; font-family: system-ui, sans-serif; font-size: 14px; }
  header.shop strong { font-size: 20px; letter-spacing: .5px; }
  main { max-width: ${wide ? 1100 : 960}px; margin: 32px auto; padding: 0 20px; }
  .product { display: grid; grid-template-columns: 1fr 1fr; gap: 40px; align-items: start; }
  .photo { aspect-ratio: 1; border-radius: 16px; background: radial-gradient(circle at 35% 30%, #a8c69f, #4f7a5a 60%, #2f4f3a); display: flex; align-items: center; justify-content: center; }
  .price { font: 700 28px system-ui, sans-serif; color: #23402f; }
  .buy { font: 600 16px system-ui, sans-serif; padding: 12px 28px; border: 0; border-radius: 10px; background: #c0622b; color: #fff; cursor: pointer; }
  .ask { font: 600 16px system-ui, sans-serif; padding: 12px 20px; border: 1px solid #23402f; border-radius: 10px; background: none; color: #23402f; cursor: pointer; margin-left: 8px; }
  .note { font: 14px system-ui, sans-serif; color: #6d6a63; background: #fff; border: 1px solid #e8e2d6; border-radius: 12px; padding: 14px 16px; margin-top: 28px; }
  code { font-size: 13px; }
  #inbox { height: 640px; }
  @media (max-width: 720px) { .product { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header class="shop"><strong><svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" style="vertical-align:-3px;margin-right:6px"><path fill="#9fd39a" d="M20 3C9 3 4 9 4 15c0 2 .6 3.8 1.6 5.2C7 14 11 10 16 8c-4 3-7.5 7-9 12.6.9.3 2 .4 3 .4 6 0 10-5 10-13V3z"/></svg>Green Leaf Tea</strong><nav><a href="/">Product</a><a href="/seller">Seller inbox</a><a href="/requirejs">RequireJS page</a></nav></header>
<main>
${body}
</main>
</body>
</html>`;

/** The product page: the buyer widget for seller 10, loaded with a plain <script>. */
export const productPage = () =>
  layout(
    'Sencha Uji, first flush',
    `<div class="product">
  <div class="photo" aria-hidden="true"><svg width="46%" viewBox="0 0 64 64" aria-hidden="true"><path fill="#f3efe6" d="M10 24h38v10c0 10.5-8.5 19-19 19S10 44.5 10 34V24z"/><path fill="none" stroke="#f3efe6" stroke-width="4" d="M48 28h3a6 6 0 0 1 0 12h-4"/><path fill="none" stroke="#dfe9d8" stroke-width="3" stroke-linecap="round" d="M22 8c-3 4 3 6 0 11M30 6c-3 4 3 6 0 11M38 8c-3 4 3 6 0 11"/><rect x="6" y="55" width="46" height="4" rx="2" fill="#f3efe6"/></svg></div>
  <div>
    <h1>Sencha Uji, first flush</h1>
    <p class="price">€18.50 <small style="font-size:15px;font-weight:400">/ 100 g</small></p>
    <p>Steamed green tea from the hills of Uji, picked in late April. Grassy and sweet, with a long,
    clean finish. Brew at 70 °C for one minute; the leaves give three good infusions.</p>
    <p><button class="buy" type="button">Add to basket</button><button class="ask" type="button" id="ask">Ask the seller</button></p>
    <p class="note">This page loads <code>/ahchat/ahchat.js</code> with a plain <code>&lt;script&gt;</code> and starts the
    buyer widget for seller 10, with the product as its context. Open the <a href="/seller">seller inbox</a> in another browser (or a private
    window) to answer.</p>
  </div>
</div>
<script src="/ahchat/ahchat.js"></script>
<script>
  // context: the seller sees which product this is; askEmail: a way back if the buyer leaves.
  var chat = new AHChat({
    sellerId: 10,
    url: location.origin.replace(/^http/, 'ws'),
    context: { title: 'Sencha Uji, first flush', url: location.origin + '/', price: '€18.50 / 100 g', ref: 'sencha-uji' },
    askEmail: true,
  });
  chat.initialize();
  document.getElementById('ask').addEventListener('click', function () { chat.toggle(true); });
</script>`,
  );

/** The seller's inbox, embedded in a page of the shop's back office. */
export const sellerPage = () =>
  layout(
    'Seller inbox',
    `<h1>Seller inbox</h1>
<p class="note" style="margin:0 0 20px">Signed in as seller 10 (token <code>iofh3498hwe</code>). The widget is rendered into
<code>#inbox</code> with the <code>container</code> option.</p>
<div id="inbox"></div>
<script src="/ahchat/ahchat.js"></script>
<script>
  new AHChat({ id: 10, token: 'iofh3498hwe', url: location.origin.replace(/^http/, 'ws'), container: '#inbox' }).initialize();
</script>`,
    { wide: true },
  );

/** The original README's RequireJS snippet, verbatim. */
export const requirejsPage = () =>
  layout(
    'RequireJS',
    `<h1>The original README's snippet</h1>
<p class="note">RequireJS from npm, configured with <code>paths: { ahchat: '/ahchat/ahchat' }</code>, then the snippet of the
original AH Chat README exactly as written (<code>url: 'ws://localhost:8001'</code>).</p>
<script src="/vendor/require.js"></script>
<script>
  requirejs.config({ paths: { ahchat: '/ahchat/ahchat' } });
</script>
<script>
require(["ahchat"], function(AHChat){
        var chat = new AHChat({
            sellerId: 10,
            //token: 'iofh3498hwe',
            url: 'ws://localhost:8001'
        });
        chat.initialize();
    });
</script>`,
  );
