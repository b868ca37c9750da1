// Generated from app-manifest.json by `kpi-bridge hubspot-project`: placeholder card.
import React, { useEffect, useState } from 'react';
import { hubspot, LoadingSpinner, Text } from '@hubspot/ui-extensions';

hubspot.extend(({ context }) => <DealKpis context={context} />);

const DealKpis = ({ context }) => {
  const [state, setState] = useState({ loading: true, error: null, data: null });
  useEffect(() => {
    hubspot
      .fetch("https://kpi-bridge.example.com/cards/deal", { method: 'GET', timeout: 10000 })
      .then((response) => response.json())
      .then((data) => setState({ loading: false, error: null, data }))
      .catch((error) => setState({ loading: false, error: String(error), data: null }));
  }, [context.crm.objectId]);
  if (state.loading) return <LoadingSpinner label="Loading KPI Bridge" />;
  if (state.error) return <Text>KPI Bridge could not load its KPIs: {state.error}</Text>;
  return <Text>Velocity, stage timing and attribution of this deal.</Text>;
};
