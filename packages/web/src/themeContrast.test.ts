/**
 * Both themes keep text readable: every text colour the stylesheet puts on a
 * background meets WCAG AA (contrast ratio at least 4.5:1), read from the
 * theme variables in styles.css.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('./styles.css', import.meta.url), 'utf8');

function themeVariables(selector: string): Record<string, string> {
  const start = css.indexOf(selector);
  const block = css.slice(css.indexOf('{', start) + 1, css.indexOf('}', start));
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1], m[2]]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Text colour on background, as the stylesheet pairs them. */
const PAIRS: Array<[string, string]> = [
  ['text', 'bg'], ['text', 'panel'], ['muted', 'bg'], ['muted', 'panel'], ['muted', 'neutral-bg'], ['accent', 'panel'], ['accent', 'bg'],
  ['accent-text', 'accent'], ['ok', 'ok-bg'], ['err', 'err-bg'], ['warn', 'warn-bg'], ['info', 'info-bg'], ['accent', 'info-bg'],
  ['witness', 'witness-bg'], ['text', 'witness-bg'], ['text', 'fresh'], ['text', 'row-hover'], ['err', 'panel'], ['ok', 'panel'],
  ['bar-label', 'bar-ok'], ['bar-label', 'bar-err'], ['bar-label', 'bar-unset'],
];

describe('theme contrast', () => {
  for (const [theme, selector] of [['light', "[data-theme='light']"], ['dark', "[data-theme='dark']"]] as const) {
    it(`${theme}: every text colour on its background is at least 4.5:1`, () => {
      const v = themeVariables(selector);
      const failing = PAIRS.filter(([fg, bg]) => {
        expect(v[fg], `--${fg}`).toMatch(/^#/);
        expect(v[bg], `--${bg}`).toMatch(/^#/);
        return contrast(v[fg], v[bg]) < 4.5;
      }).map(([fg, bg]) => `${fg} on ${bg}: ${contrast(v[fg], v[bg]).toFixed(2)}`);
      expect(failing).toEqual([]);
    });
  }

  it('computes the WCAG ratio', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});
