/** Gallery thumbnail: a small shaded triangle, drawn as an inline SVG data URI. */
const CELLS = [
  [0.9, 0.5, 0.4, 0.35],
  [0.9, 0.45, 0.3],
  [0.9, 0.55],
  [0.9],
];

const rects = CELLS.flatMap((row, r) =>
  row.map(
    (opacity, c) =>
      `<rect x="${12 + c * 36}" y="${12 + r * 25}" width="32" height="21" fill="rgb(32,111,184)" fill-opacity="${opacity}"/>`,
  ),
).join('');

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120"><rect width="160" height="120" fill="#f7f7f7"/>${rects}</svg>`;

export const THUMBNAIL = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`;
