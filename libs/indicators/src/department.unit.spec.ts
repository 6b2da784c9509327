import { departmentLabel, departmentOfUai } from './department.js';

describe('the département of a UAI', () => {
  it.each([
    ['0061234X', '06'],
    ['0830042K', '83'],
    ['0751234A', '75'],
    ['0011234B', '01'],
    [' 0061234x ', '06'],
    ['6200001A', '2A'],
    ['7200001B', '2B'],
    ['9741234C', '974'],
    ['9711234D', '971'],
  ])('%s is in %s', (uai, department) => {
    expect(departmentOfUai(uai)).toBe(department);
  });

  it('is undefined for what is not a UAI', () => {
    expect(departmentOfUai('12345')).toBeUndefined();
    expect(departmentOfUai('006123XX')).toBeUndefined();
  });

  it('labels départements with their names', () => {
    expect(departmentLabel('06')).toBe('06 — Alpes-Maritimes');
    expect(departmentLabel('2A')).toBe('2A — Corse-du-Sud');
    expect(departmentLabel('99')).toBe('99');
  });
});
