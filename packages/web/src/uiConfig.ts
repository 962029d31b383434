import { createContext, useContext } from 'react';
import type { UiConfig } from './api/types';

export const UiConfigContext = createContext<UiConfig>({ traceLinkTemplate: null, otlpHttpPort: 4318, otlpGrpcPort: 4317, host: '127.0.0.1' });
export const useUiConfig = () => useContext(UiConfigContext);

/** The OTLP/HTTP endpoint as a sender reaches it: the host the browser used when the server binds every address. */
export function otlpHttpEndpoint(config: UiConfig): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? window.location.hostname : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.otlpHttpPort}`;
}
