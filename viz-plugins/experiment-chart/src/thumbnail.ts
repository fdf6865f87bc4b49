/** Gallery thumbnail: three rates with intervals, drawn as an inline SVG data URI. */
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120">
<rect width="160" height="120" fill="#f7f7f7"/>
<rect x="10" y="10" width="140" height="24" rx="3" fill="#d6f0e0" stroke="#208c50"/>
<text x="20" y="27" font-family="sans-serif" font-size="12" font-weight="bold" fill="#1e5e38">B wins</text>
<line x1="80" y1="44" x2="80" y2="112" stroke="#999" stroke-dasharray="3 2"/>
<line x1="50" y1="58" x2="100" y2="58" stroke="#555" stroke-width="3"/><circle cx="75" cy="58" r="5" fill="#555"/>
<line x1="88" y1="80" x2="140" y2="80" stroke="#208c50" stroke-width="3"/><circle cx="114" cy="80" r="5" fill="#208c50"/>
<line x1="45" y1="102" x2="110" y2="102" stroke="#555" stroke-width="3"/><circle cx="78" cy="102" r="5" fill="#555"/>
</svg>`;

export const THUMBNAIL = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`;
