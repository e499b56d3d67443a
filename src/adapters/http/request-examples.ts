/** Fictitious request bodies, the examples of both documents (OpenAPI and AsyncAPI): no value is anyone's. */
export const REQUEST_EXAMPLES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  SendOrdningsnotifikationRequestDto: {
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
        bevillingsstatus: null,
        cvrNummer: '12345678',
        pNummer: '1234567890',
        cprNummer: '0101010000',
        vitasDybtLink: 'https://vitas.example/sag/4711',
      },
    },
  },
  DispatchGdprDeletedNotificationRequestDto: {
    gdprSlettetNotifikation: {
      eksternIdentifier: '9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
      jobCenterKode: '10101',
      registreringsDato: '2025-03-02T08:00:00Z',
      body: {
        vitasSagsId: 'VITAS-2025-000001',
        virksomhedsordningSkabelon: 3,
        cprNumre: ['0101010000', '0202020000'],
        slettedeExternalIdentifiers: ['3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b'],
      },
    },
  },
};
