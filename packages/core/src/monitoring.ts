/**
 * Monitoring building blocks: PodMonitors carrying the label the Prometheus CR selects on
 * (operators' own PodMonitors lack it, which is why the seeds manage their own), and alerting
 * rules where every alert has a summary, a description, a runbook and a severity.
 */
import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsMetricRelabelingsAction, PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from './imports/monitoring.coreos.com.ts';
import type { PlatformModel } from './model.ts';

export type AlertSeverity = 'critical' | 'warning';

export interface AlertSpec {
  /** CamelCase alert name; its runbook is docs/runbooks/<kebab-name>.md. */
  readonly alert: string;
  readonly expr: string;
  /** @default no pending period */
  readonly for?: string;
  readonly severity: AlertSeverity;
  /** Labels besides `severity`, e.g. to tell two rules of one alert apart. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly summary: string;
  /** May use Prometheus templating such as {{ $labels.pod }}. */
  readonly description: string;
}

/** docs/runbooks/<file> for an alert. */
export function runbookFile(alert: string): string {
  return `${alert
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()}.md`;
}

export interface AlertRulesProps {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly group: string;
  readonly alerts: readonly AlertSpec[];
  readonly model: PlatformModel;
}

export class AlertRules extends Construct {
  constructor(scope: Construct, id: string, props: AlertRulesProps) {
    super(scope, id);
    const { model } = props;
    new PrometheusRule(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels, ...model.monitoring.prometheusSelector } },
      spec: {
        groups: [
          {
            name: props.group,
            rules: props.alerts.map((a) => ({
              alert: a.alert,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
              ...(a.for ? { for: a.for } : {}),
              labels: { severity: a.severity, ...a.labels },
              annotations: {
                summary: a.summary,
                description: a.description,
                runbook_url: `${model.monitoring.runbookBaseUrl}/${runbookFile(a.alert)}`,
              },
            })),
          },
        ],
      },
    });
  }
}

export interface PodMetricsProps {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pods: Readonly<Record<string, string>>;
  /** Name of the container port that serves /metrics. */
  readonly port: string;
  readonly model: PlatformModel;
  /** @default '30s' */
  readonly interval?: string;
  /**
   * Labels to blank (so Prometheus drops them) on one metric only, at scrape time: for
   * per-connection series whose other labels change every scrape. @default none
   */
  readonly blankLabels?: { readonly metric: string; readonly labels: readonly string[] };
}

export class PodMetrics extends Construct {
  constructor(scope: Construct, id: string, props: PodMetricsProps) {
    super(scope, id);
    new PodMonitor(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels, ...props.model.monitoring.prometheusSelector } },
      spec: {
        selector: { matchLabels: { ...props.pods } },
        namespaceSelector: { matchNames: [props.namespace] },
        podMetricsEndpoints: [
          {
            port: props.port,
            path: '/metrics',
            interval: props.interval ?? '30s',
            ...(props.blankLabels
              ? {
                  // A label set to the empty string is removed; the rule only matches the one metric.
                  metricRelabelings: props.blankLabels.labels.map((label) => ({
                    sourceLabels: ['__name__'],
                    regex: props.blankLabels!.metric,
                    targetLabel: label,
                    replacement: '',
                    action: PodMonitorSpecPodMetricsEndpointsMetricRelabelingsAction.REPLACE,
                  })),
                }
              : {}),
          },
        ],
      },
    });
  }
}
