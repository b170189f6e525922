/**
 * Which service serves a path under /api/v1. The sandbox paths belong to the service whose
 * provider they simulate.
 */
const ROUTES: Array<{ prefix: string; service: string }> = [
  { prefix: '/api/v1/sandbox/payments', service: 'payment' },
  { prefix: '/api/v1/sandbox/', service: 'identity' },
  { prefix: '/api/v1/identity/', service: 'identity' },
  { prefix: '/api/v1/exam/', service: 'exam' },
  { prefix: '/api/v1/payment/', service: 'payment' },
  { prefix: '/api/v1/certification/', service: 'certification' },
  { prefix: '/api/v1/training/', service: 'training' },
  { prefix: '/api/v1/workbench/', service: 'workbench' },
];

export function serviceFor(path: string): string | undefined {
  return ROUTES.find((r) => path.startsWith(r.prefix))?.service;
}
