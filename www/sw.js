// The demo page's service worker: keeps a copy of the page's own files so it opens without a
// connection. Network first (a deploy shows up at once), the copy when the network fails.
// The API and the event stream are never cached here: fieldsync.js keeps its own data in IndexedDB.

const CACHE = 'fieldsync-shell-v4';
const SHELL = ['./', 'index.html', 'demo.css', 'demo.js', 'demo-forms.js', 'fieldsync.js', 'schema.js',
	'fieldsync/batches.js', 'fieldsync/changes.js', 'fieldsync/device.js', 'fieldsync/emitter.js', 'fieldsync/http.js', 'fieldsync/names.js', 'fieldsync/outbox.js',
	'fieldsync/rights.js', 'fieldsync/schema-info.js', 'fieldsync/store.js', 'fieldsync/stream.js'];

self.addEventListener('install', event => {
	event.waitUntil(caches.open(CACHE).then(c => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', event => {
	event.waitUntil((async () => {
		for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
		await self.clients.claim();
	})());
});

function isShell(url) {
	return url.origin === self.location.origin && !url.pathname.startsWith('/api/') && url.pathname !== '/events';
}

self.addEventListener('fetch', event => {
	const req = event.request;
	const url = new URL(req.url);
	if (req.method !== 'GET' || !isShell(url)) return;
	event.respondWith((async () => {
		const cache = await caches.open(CACHE);
		try {
			const res = await fetch(req);
			if (res.ok) await cache.put(req.mode === 'navigate' ? './' : req, res.clone());
			return res;
		} catch (err) {
			// The page is one document whatever its ?branch=…: any navigation gets the stored page.
			const hit = req.mode === 'navigate' ? await cache.match('./') : await cache.match(req, { ignoreSearch: true });
			if (hit) return hit;
			throw err;
		}
	})());
});
