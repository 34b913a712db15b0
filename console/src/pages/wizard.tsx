import type { ReactNode } from 'react';

export function WizardPage(): ReactNode {
  return (
    <section>
      <h1>Create a cluster</h1>
    </section>
  );
}
