/* The HTML edition's behaviour: the section list folds away on small screens,
   the in-page contents follow the reader, and the search page asks Pagefind.
   Every page reads fine without it; only search needs it.
   A classic script (not a module): browsers refuse modules on pages opened from disk. */
(function () {
  "use strict";

  // Resolved against this script, so the site works from any sub-path.
  var BUNDLE = new URL("pagefind/pagefind.js", document.currentScript.src).href;
  var NARROW = "(max-width: 860px)";
  var MAX_RESULTS = 30;
  var MAX_SUB_RESULTS = 3;

  function foldSidebar() {
    var details = document.querySelector(".sidebar-toggle");
    if (!details) return;
    var narrow = window.matchMedia(NARROW);
    var apply = function () { details.open = !narrow.matches; };
    apply();
    narrow.addEventListener("change", apply);
  }

  // Marks, in the page's contents, the heading the reader has reached.
  function followHeadings() {
    var links = Array.from(document.querySelectorAll(".page-toc a[href^='#'], .sidebar-headings a[href^='#']"));
    if (!links.length || !("IntersectionObserver" in window)) return;
    var linksOf = new Map();
    links.forEach(function (a) {
      var heading = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      if (!heading) return;
      if (!linksOf.has(heading)) linksOf.set(heading, []);
      linksOf.get(heading).push(a);
    });
    var headings = Array.from(linksOf.keys());
    var seen = new Set();
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) seen.add(e.target); else seen.delete(e.target); });
      var current = headings.find(function (h) { return seen.has(h); });
      if (!current) return;
      links.forEach(function (a) { a.removeAttribute("aria-current"); });
      linksOf.get(current).forEach(function (a) { a.setAttribute("aria-current", "location"); });
    }, { rootMargin: "0px 0px -65% 0px" });
    headings.forEach(function (h) { observer.observe(h); });
  }

  // A table that scrolls sideways must be reachable with the keyboard to be scrolled.
  function focusableScrollers() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
    });
  }

  // --- search ----------------------------------------------------------------

  function setUpSearch() {
    var page = document.getElementById("rg-search-page");
    if (!page) return;
    var input = document.getElementById("rg-search-input");
    var form = input.form;
    var status = document.getElementById("rg-search-status");
    var list = document.getElementById("rg-search-results");
    // aria-busy tells assistive technology (and anyone waiting) that results are on their way.
    var say = function (text, problem, busy) {
      status.textContent = text;
      status.classList.toggle("search-problem", Boolean(problem));
      list.setAttribute("aria-busy", busy ? "true" : "false");
    };
    var query = new URLSearchParams(window.location.search).get("q") || "";
    input.value = query;

    if (page.dataset.nothing) {  // the edition shows no section: there is no index
      say(page.dataset.nothing);
      return;
    }
    if (window.location.protocol === "file:") {
      // fetch() of the index is blocked for file:// pages; say so instead of failing quietly.
      say(page.dataset.file, true);
      return;
    }
    var engine = null;
    var load = function () {
      if (!engine) {
        engine = import(BUNDLE).then(function (pagefind) {
          return pagefind.options({ excerptLength: 40 }).then(function () { return pagefind; });
        });
      }
      return engine;
    };
    var ticket = 0;
    var run = function (text) {
      var mine = ++ticket;
      var q = text.trim();
      list.replaceChildren();
      if (!q) { say(page.dataset.idle); return; }
      say(page.dataset.loading, false, true);
      load()
        .then(function (pagefind) { return pagefind.search(q); })
        .then(function (found) {
          return Promise.all(found.results.slice(0, MAX_RESULTS).map(function (r) { return r.data(); }));
        })
        .then(function (results) {
          if (mine !== ticket) return;  // a newer query is on its way
          var template = results.length ? page.dataset.count : page.dataset.none;
          say(template.replace("{n}", results.length).replace("{q}", q));
          results.forEach(function (result) { list.appendChild(resultItem(result)); });
        })
        .catch(function (error) {
          if (mine !== ticket) return;
          say(page.dataset.error, true);
          console.warn("search unavailable:", error);
        });
    };
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = new URL(window.location.href);
        url.searchParams.set("q", input.value);
        window.history.replaceState(null, "", url);
        run(input.value);
      }, 200);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run(input.value);
    });
    run(query);
  }

  function resultItem(result) {
    var item = document.createElement("li");
    item.className = "search-result";
    var title = link(result.url, result.meta.title || result.url);
    title.className = "result-title";
    item.appendChild(title);
    // The part under the section title is the page itself; its own results are the headings below it.
    var subs = (result.sub_results || []).filter(function (s) {
      return s.url !== result.url && !(s.anchor && /^h1$/i.test(s.anchor.element));
    });
    if (!subs.length) {
      item.appendChild(excerpt(result.excerpt));
      return item;
    }
    var nested = document.createElement("ul");
    nested.className = "sub-results";
    subs.slice(0, MAX_SUB_RESULTS).forEach(function (sub) {
      var li = document.createElement("li");
      li.appendChild(link(sub.url, sub.title));
      li.appendChild(excerpt(sub.excerpt));
      nested.appendChild(li);
    });
    item.appendChild(nested);
    return item;
  }

  function link(url, text) {
    var a = document.createElement("a");
    a.href = url;
    a.textContent = clean(text);
    return a;
  }

  // An excerpt is HTML with <mark> around the matches: keep the text and the marks only.
  // It is parsed in a separate document, so nothing in it runs or loads.
  function excerpt(html) {
    var p = document.createElement("p");
    p.className = "excerpt";
    var parsed = new DOMParser().parseFromString(html || "", "text/html").body;
    parsed.childNodes.forEach(function (node) {
      var text = clean(node.textContent);
      if (!text) return;
      if (node.nodeName !== "MARK") {
        p.appendChild(document.createTextNode(text));
      } else if (p.lastChild && p.lastChild.nodeName === "MARK") {
        p.lastChild.textContent += text;  // the words of one Chinese query, found side by side
      } else {
        var mark = document.createElement("mark");
        mark.textContent = text;
        p.appendChild(mark);
      }
    });
    return p;
  }

  // Pagefind separates the words it found in Chinese with zero-width spaces.
  function clean(text) {
    return String(text).replace(/\u200b/g, "");
  }

  foldSidebar();
  followHeadings();
  focusableScrollers();
  setUpSearch();
})();
