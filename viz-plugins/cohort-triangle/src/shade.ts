/** Cell colours: one hue, darker for a larger share, with text that stays readable. */

const HUE = [32, 111, 184];

/** Opacity of a cell, from 0.06 (nobody came back) to 0.9 (the largest share on the chart). */
export function shadeOpacity(share: number | null, maxShare: number): number {
  if (share === null || maxShare <= 0) return 0.06;
  return 0.06 + 0.84 * Math.min(1, share / maxShare);
}

export function cellBackground(share: number | null, maxShare: number): string {
  return `rgba(${HUE.join(', ')}, ${shadeOpacity(share, maxShare).toFixed(3)})`;
}

/** White text on dark cells, the theme's text on light ones. */
export function cellText(share: number | null, maxShare: number): string | undefined {
  return shadeOpacity(share, maxShare) > 0.55 ? '#ffffff' : undefined;
}
