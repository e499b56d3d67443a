/**
 * Fictitious test data. The CPR numbers use day 01 month 01 and sequence numbers no real person
 * is known to hold; CVR and P-numbers are made up; no value is anyone's.
 */
export const FICTITIOUS_CPR = '0101010000';
export const FICTITIOUS_CPR_2 = '0202020000';

export function ordningsnotifikation(
  overrides: Record<string, unknown> = {},
  bodyOverrides: Record<string, unknown> = {},
) {
  return {
    ordningsnotifikation: {
      eksternIdentifier: '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
      jobCenterKode: '10101',
      erOprettelse: true,
      registreringsDato: '2025-03-01T10:15:30+01:00',
      body: {
        ansvarligMedarbejderEmail: 'sagsbehandler@jobcenter.example',
        jobtilbud: 1,
        myndighedsomraade: 2,
        virksomhedsordningSkabelon: 3,
        virksomhedsordningSubskabelon: 4,
        ansoegningStatus: 5,
        bevillingsstatus: 6,
        cvrNummer: '12345678',
        pNummer: '1234567890',
        cprNummer: FICTITIOUS_CPR,
        vitasDybtLink: 'https://vitas.example/sag/4711',
        ...bodyOverrides,
      },
      ...overrides,
    },
  };
}

export function gdprSlettetNotifikation(
  overrides: Record<string, unknown> = {},
  bodyOverrides: Record<string, unknown> = {},
) {
  return {
    gdprSlettetNotifikation: {
      eksternIdentifier: '9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
      jobCenterKode: '10101',
      registreringsDato: '2025-03-02T08:00:00Z',
      body: {
        vitasSagsId: 'VITAS-2025-000001',
        virksomhedsordningSkabelon: 3,
        cprNumre: [FICTITIOUS_CPR, FICTITIOUS_CPR_2],
        slettedeExternalIdentifiers: ['3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b'],
        ...bodyOverrides,
      },
      ...overrides,
    },
  };
}
