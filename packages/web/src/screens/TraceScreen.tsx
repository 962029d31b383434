/** One trace in the waterfall (witnesses from `?witness=a,b` are marked). */
import { Link, useParams, useSearchParams } from 'react-router';
import { fluoApi } from '../api/fluoApi';
import { ErrorNote } from '../components/bits';
import { Waterfall } from '../components/Waterfall';
import { formatDuration, formatTime, traceLink } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useUiConfig } from '../uiConfig';

export function TraceScreen() {
  const { traceId = '' } = useParams();
  const [params] = useSearchParams();
  const config = useUiConfig();
  const trace = useLoad(() => fluoApi.getTrace(traceId), [traceId]);
  const witnesses = (params.get('witness') ?? '').split(',').filter(Boolean);
  const link = traceLink(config.traceLinkTemplate, traceId);
  const t = trace.data;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Trace {t ? <span>{t.rootName}</span> : null}</h1>
        <Link to="/traces">Back to traces</Link>
      </div>
      <ErrorNote error={trace.error} what={`trace ${traceId}`} />
      {t && (
        <>
          <p className="muted">
            <span className="mono">{t.traceId}</span> · {t.spanCount} spans · {t.errorCount} errors · {formatDuration(t.duration)} · started {formatTime(t.startTime)} · {t.state === 'open' ? 'still arriving' : 'complete'}
            {link && <> · <a href={link} target="_blank" rel="noreferrer noopener">open in your tracing backend ↗</a></>}
          </p>
          <section className="panel" aria-label="Trace waterfall">
            <Waterfall spans={t.spans} witnesses={witnesses} />
          </section>
        </>
      )}
    </div>
  );
}
