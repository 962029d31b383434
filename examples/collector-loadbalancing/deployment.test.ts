/**
 * The scale-out deployment files (deploy/kubernetes, this folder's Collector
 * config) parse as YAML and agree with each other and with FLUO: the
 * Collector routes by trace id to the headless Service's OTLP port, that
 * Service selects the FLUO pods, the pods read the store URL from the Secret
 * and are ready only when /readyz says so, and every environment variable
 * they set is one FLUO knows. No cluster or Collector runs here (neither is
 * on the test machine); this catches the mistakes that make a manifest
 * silently route nowhere.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG_OPTIONS } from '../../packages/server/src/config/config.js';
import { parseStoreUrl } from '../../packages/server/src/store/stores.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const k8s = path.resolve(here, '../../deploy/kubernetes');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function documents(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Doc[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings].map((e) => `${path.basename(file)}: ${e.message}`);
    expect(problems).toEqual([]);
    const value = doc.toJS();
    if (value !== null) out.push(value);
  }
  return out;
}

function manifests(): Doc[] {
  const kustomization = documents(path.join(k8s, 'kustomization.yaml'))[0];
  for (const f of [...kustomization.resources, ...kustomization.configMapGenerator.flatMap((g: Doc) => g.files)]) {
    expect(existsSync(path.join(k8s, f)), `${f} listed in kustomization.yaml`).toBe(true);
  }
  return kustomization.resources.flatMap((f: string) => documents(path.join(k8s, f)));
}

function find(all: Doc[], kind: string, name: string): Doc {
  const found = all.find((d) => d.kind === kind && d.metadata?.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('scale-out deployment files', () => {
  it('every YAML file parses', () => {
    const files = [
      ...readdirSync(k8s).filter((f) => f.endsWith('.yaml')).map((f) => path.join(k8s, f)),
      path.join(here, 'collector.yaml'),
    ];
    for (const f of files) expect(documents(f).length, f).toBeGreaterThan(0);
  });

  it('Kubernetes: FLUO pods behind a headless Service, store URL from the Secret, ready on /readyz, only options FLUO knows', () => {
    const all = manifests();
    const kustomization = documents(path.join(k8s, 'kustomization.yaml'))[0];
    const deployment = find(all, 'Deployment', 'fluo');
    const pod = deployment.spec.template;
    expect(matches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const [container] = pod.spec.containers;
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'api' });
    const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
    expect(ports).toEqual({ api: 3000, 'otlp-grpc': 4317, 'otlp-http': 4318 });

    const env = Object.fromEntries(container.env.map((e: Doc) => [e.name, e]));
    const known = new Set(CONFIG_OPTIONS.map((o) => o.env));
    for (const name of Object.keys(env).filter((n) => n.startsWith('FLUO_'))) expect(known.has(name), `${name} is a FLUO option`).toBe(true);
    expect(env.FLUO_HOST.value).toBe('0.0.0.0');
    const secretRef = env.FLUO_STORE.valueFrom.secretKeyRef;
    const secret = find(all, 'Secret', secretRef.name);
    expect(() => parseStoreUrl(secret.stringData[secretRef.key], { dataDir: '/var/lib/fluo' })).not.toThrow();
    expect(parseStoreUrl(secret.stringData[secretRef.key], { dataDir: '/var/lib/fluo' }).scheme).toBe('postgres');

    const headless = find(all, 'Service', 'fluo-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(false);
    expect(matches(headless.spec.selector, pod.metadata.labels)).toBe(true);
    expect(headless.spec.ports.find((p: Doc) => p.port === 4317).targetPort).toBe('otlp-grpc');

    // The Collector's DNS resolver asks for the headless Service in the kustomization's namespace, on its gRPC port.
    const collector = documents(path.join(k8s, 'collector.yaml'))[0];
    const lb = collector.exporters.loadbalancing;
    expect(lb.routing_key).toBe('traceID');
    expect(lb.resolver.dns.hostname).toBe(`${headless.metadata.name}.${kustomization.namespace}.svc.cluster.local`);
    expect(Number(lb.resolver.dns.port)).toBe(4317);
    expect(collector.service.pipelines.traces.exporters).toEqual(['loadbalancing']);
    const collectorDeployment = find(all, 'Deployment', 'otel-collector');
    const volume = collectorDeployment.spec.template.spec.volumes.find((v: Doc) => v.configMap);
    expect(kustomization.configMapGenerator.map((g: Doc) => g.name)).toContain(volume.configMap.name);
    expect(collectorDeployment.spec.template.spec.containers[0].image).toMatch(/opentelemetry-collector-contrib/);
  });

  it('the local example routes by trace id to three FLUO OTLP/gRPC ports', () => {
    const [collector] = documents(path.join(here, 'collector.yaml'));
    const lb = collector.exporters.loadbalancing;
    expect(lb.routing_key).toBe('traceID');
    expect(lb.resolver.static.hostnames).toHaveLength(3);
    const readme = readFileSync(path.join(here, 'README.md'), 'utf8');
    for (const host of lb.resolver.static.hostnames as string[]) expect(readme).toContain(`--otlp-grpc-port ${host.split(':')[1]}`);
    expect(collector.service.pipelines.traces).toMatchObject({ receivers: ['otlp'], exporters: ['loadbalancing'] });
  });
});
