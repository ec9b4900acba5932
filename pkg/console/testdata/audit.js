// What the layout test measures on a page, as one JSON object:
//   overflow: how many CSS pixels the page is wider than the window (its
//     layout viewport: a phone zooms out to show a page too wide, which
//     makes innerWidth as wide as the page);
//   contrast: visible text whose contrast with its background is below
//     WCAG AA (4.5:1, or 3:1 for large text); disabled controls are
//     exempt, as WCAG has them;
//   unlabelled: form controls without a label;
//   unnamed: buttons and links without a name, images without alt.
(() => {
  const parse = (c) => {
    const m = /rgba?\(([^)]*)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const blend = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.push(e);
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const e of chain.reverse()) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) bg = blend(c, bg);
    }
    return bg;
  };
  const faded = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (parseFloat(getComputedStyle(e).opacity) < 1) return true;
    }
    return false;
  };
  const contrast = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('[hidden], noscript, script, style, option') || el.closest(':disabled') || faded(el)) continue;
    const rect = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (rect.width <= 1 || rect.height <= 1 || cs.visibility === 'hidden' || cs.display === 'none') continue;
    const bg = background(el);
    const fg = blend(parse(cs.color), bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), weight = parseInt(cs.fontWeight, 10);
    const large = size >= 24 || (size >= 18.66 && weight >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      contrast.push(n.textContent.trim().slice(0, 40) + ' [' + el.tagName.toLowerCase() + '.' + el.className + '] ' + ratio.toFixed(2) + ':1 ' + cs.color + ' on rgb(' + [bg.r, bg.g, bg.b].map(Math.round).join(',') + ')');
    }
  }
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 80));
  const unnamed = [...document.querySelectorAll('button, a[href], img')]
    .filter((el) => el.getClientRects().length && (el.tagName === 'IMG' ? !el.hasAttribute('alt') : !(el.textContent.trim() || el.getAttribute('aria-label'))))
    .map((el) => el.outerHTML.slice(0, 80));
  return JSON.stringify({ overflow: Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth), contrast, unlabelled, unnamed });
})()
