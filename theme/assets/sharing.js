// Sharing a credential page: the QR code of its address for the printed page, and the
// embed snippet's Copy button. A module from this site only (the pages' CSP allows no
// inline script): the QR is built as SVG elements, never as markup or inline style.
import { encode } from "./vendor/uqr.js";

const SVG_NS = "http://www.w3.org/2000/svg";

// Drawn at load, not on beforeprint: print previews and PDF printers do not always fire it.
function drawQr(box, text) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) path += `M${x},${y}h1v1h-1z`;
  }));
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `QR code of ${text}`);
  const back = document.createElementNS(SVG_NS, "rect");
  back.setAttribute("width", size);
  back.setAttribute("height", size);
  back.setAttribute("fill", "#fff");
  const dots = document.createElementNS(SVG_NS, "path");
  dots.setAttribute("d", path);
  dots.setAttribute("fill", "#000");
  svg.append(back, dots);
  box.replaceChildren(svg);
}

function setUpCopy(section) {
  const area = section.querySelector("[data-role=embed-code]");
  const button = section.querySelector("[data-role=embed-copy]");
  const status = section.querySelector("[data-role=embed-status]");
  if (!area || !button) return;
  area.addEventListener("focus", () => area.select());
  button.hidden = false;
  button.addEventListener("click", async () => {
    area.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(area.value);
      copied = true;
    } catch {
      copied = document.execCommand && document.execCommand("copy");
    }
    if (!status) return;
    // live only once asked: until then the page's one live region is the verdict; the
    // text follows a frame later so the new region is heard
    status.setAttribute("role", "status");
    requestAnimationFrame(() => {
      status.textContent = copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.";
    });
  });
}

for (const figure of document.querySelectorAll("[data-role=print-qr]")) {
  const box = figure.querySelector("[data-role=qr]");
  if (box && figure.dataset.url) {
    drawQr(box, figure.dataset.url);
    figure.dataset.ready = "true";
  }
}
document.querySelectorAll("[data-role=embed]").forEach(setUpCopy);
