// pages/notfound.js - what an unknown address, or a record the reader may not see, shows.

import { fill, h } from "../dom.js";

export function render(ctx, what) {
  fill(
    ctx.main,
    h("h1", { tabindex: "-1" }, "Not found"),
    h("p", {}, what || "There is no such page, or it is not yours to see."),
    h("p", {}, h("a", { href: "#/" }, "Back to your start page")),
  );
}
