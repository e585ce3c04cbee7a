// Local workspace pages: open the page a run_page_url's fragment names, and refresh while a run is active.
"use strict";

// "#job/<job>/run/<run>" (job run or task run), "#job/run/<run>" (one-time run), "#job/<job>" or nothing.
function pageFor(hash) {
  const run = /^#job\/(?:\d+\/)?run\/(\d+)/.exec(hash);
  if (run) return "/ui/runs/" + run[1];
  const job = /^#job\/(\d+)/.exec(hash);
  return job ? "/ui/jobs/" + job[1] : "/ui/jobs";
}

// Swap in the freshly rendered <main>, keeping open panels open.
function swap(html) {
  const next = new DOMParser().parseFromString(html, "text/html");
  const fresh = next.querySelector("main");
  const current = document.querySelector("main");
  if (!fresh || !current) return;
  const open = new Set(Array.from(current.querySelectorAll("details[open]"), (d) => d.id));
  fresh.querySelectorAll("details").forEach((d) => { if (open.has(d.id)) d.open = true; });
  current.replaceWith(document.adoptNode(fresh));
  document.title = next.title;
}

// Re-fetch this page every data-refresh milliseconds until the server renders it without data-refresh
// (or answers that it is gone or forbidden; a restarting workspace is retried).
function scheduleRefresh() {
  const main = document.querySelector("main");
  const every = Number(main && main.dataset.refresh);
  if (!every) return;
  setTimeout(async () => {
    let retry = true;
    try {
      const response = await fetch(location.pathname + location.search, { cache: "no-store" });
      if (response.ok) swap(await response.text());
      else retry = response.status >= 500;
    } catch (error) {
      retry = true;
    }
    if (retry) scheduleRefresh();
  }, every);
}

if (document.querySelector("[data-shell]")) {
  location.replace(pageFor(location.hash));
} else {
  scheduleRefresh();
}
