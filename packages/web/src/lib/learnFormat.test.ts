import { describe, expect, it } from 'vitest';
import { percent, precisionText } from './learnFormat';

describe('learning numbers as text', () => {
  it('shows percentages, and a dash for an unknown value', () => {
    expect([percent(0.5), percent(1), percent(0.1234, 1), percent(null), percent(undefined)]).toEqual(['50 %', '100 %', '12.3 %', '–', '–']);
  });

  it('states a precision with its interval and counts, or that nothing is triaged', () => {
    expect(precisionText({ truePositives: 7, falsePositives: 6, precision: 7 / 13, interval: [0.29, 0.77] })).toBe('54 % (95 % interval 29–77 %, 7 of 13 real)');
    expect(precisionText({ truePositives: 0, falsePositives: 0, precision: null, interval: null })).toBe('not triaged yet');
  });
});
