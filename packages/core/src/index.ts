/**
 * @db/core: what the engines, delivery, the platform and the control-plane suite use of the
 * shared building blocks. The rest stays inside core, where its own tests import the module
 * files; the test helpers are @db/core/testing.
 */

// Desired state: schema, loading, problems and the platform model
export {
  Closed,
  ConnectionLimit,
  CRON,
  DELIVERY_DEFAULTS,
  DnsLabel,
  DURATION,
  FreeText,
  ImageOverride,
  NFS_PATH,
  platformJsonSchema,
  Quantity,
  Resources,
  SqlIdentifier,
  TenantBackup,
  DrillSettings,
  DRILL_DEFAULTS,
  RestoreEntry,
  type RestoreInput,
  withDefaults,
} from './schema.ts';
export type { Defaults } from './schema.ts';
export { compileInputValidator, inputValidatorSpec, loadPlatformFile, loadPlatformText, loadYamlFile } from './load.ts';
export type { InputSchema, LoadResult, SourceMap } from './load.ts';
export { formatProblems } from './problems.ts';
export type { Problem } from './problems.ts';
export { resolvedOnce, resolvePlatform } from './model.ts';
export type { PlatformModel, TenantModel } from './model.ts';
export { checkPlatform } from './checks.ts';

// The engine contract: an engine, its operators and its credentials
export { customResourceFactsOf, DELIVERY_PHASES, inputSchemaOf, operatorNamespaceDefaultsOf, servicesOf, tenantFieldsOf } from './engine.ts';
export type { CustomResourceFacts, DeliveryPhase, DocsOffboarding, Engine, EngineDocs, NamespaceNeed, OwnedFields } from './engine.ts';
export { CHART_KINDS, gk, mirrored } from './operators.ts';
export type { GroupKind, HelmOperator } from './operators.ts';
export type { CredentialConnection, EngineCredentials, GeneratedSecret, RotationStep, TenantLogin } from './credentials.ts';
export { ROTATION_BOUNDS_SECONDS } from './credentials.ts';

// Objects, labels, names and images
export { deepFreeze, objectRef, podTemplate } from './objects.ts';
export type { K8sObject, RenderedObject } from './objects.ts';
export { PIN_ANNOTATIONS, PIN_LABELS, recommendedLabels, selectorLabels, versionlessLabels } from './labels.ts';
export type { ComponentLabels } from './labels.ts';
export { durationSeconds, isReservedSqlName, kebab } from './naming.ts';
export type { ReservedNames } from './naming.ts';
export { CURL_IMAGE, CURL_UID, imageRef, REGISTRY_PREFIX, runHash, withOverride } from './images.ts';
export type { PinnedImage } from './images.ts';

// Constructs the engines build on: namespace, network policy, monitoring, backups, pod security, scheduling
export { DatabaseNamespace } from './namespace.ts';
export { apiServerEgress, FlowPolicy, NamespaceBaseline, prometheusPeer } from './network-policy.ts';
export type { Peer } from './network-policy.ts';
export { AlertRules, PodMetrics, runbookFile } from './monitoring.ts';
export type { AlertSpec } from './monitoring.ts';
export {
  byTenant,
  DASHBOARD_SCHEMA_VERSION,
  DashboardConfigMap,
  engineDashboard,
  engineSections,
  expandVariables,
  GRAFANA_VERSION,
  overviewDashboard,
  TENANT_CONNECTION_LIMIT,
  TENANT_INFO,
  TenantRecordRules,
  tenantRecords,
} from './dashboards.ts';
export type { DashboardPanel, DashboardQuery, DashboardSection, EngineDashboard, OverviewPart, RecordSpec, TenantSeries } from './dashboards.ts';
export { checkRestores, resolveRestores, restoreJobName, restoreScript, RestoreJobs, RESTORE_COMPONENT, RESTORING_POD_LABELS, RUN_ONCE_LABEL, type RestoreModel } from './restore.ts';
export { committedTenants, TENANT_LABEL, TENANT_STATE_LABEL, tenantState, vanishedTenantProblems, withTenantStates, type TenantState } from './lifecycle.ts';
export { drillAlerts, drillScript, DrillCronJob, DRILL_COMPONENT, DRILL_REASONS } from './drill.ts';
export { BackupCronJob, backupScript, retentionText, tenantBackupScript, tenantBackupAlerts, tenantDumpPattern, type TenantDump } from './backup.ts';
export { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security.ts';
export { scriptJobPod, type ScriptJobPodProps } from './script-job.ts';
export {
  FINAL_DUMP_TAG,
  finalDumpDoc,
  hasData,
  isActive,
  offboardingAlerts,
  offboardingDocs,
  offboardingJobName,
  OffboardingJobs,
  PURGE_COMPONENT,
  purgeAllowedOn,
  purgeScript,
  TenantRecords,
} from './offboarding.ts';
export type { OffboardingFacts } from './offboarding.ts';
export { avoidNodesAffinity, avoidNodesPodSpec, mebibytes } from './scheduling.ts';

// Checks and guardrails: rules over the rendered objects, workload posture, credential scan
export { connectionBudgetFindings, connectionNeeds, runGuardrails, withWaiverAnnotations } from './guardrails.ts';
export type { ConnectionNeeds, Finding, GuardrailReport, Rule, RuleContext } from './guardrails.ts';
export { CORE_RULES, withHistory } from './rules.ts';
export type { RuleHistory } from './rules.ts';
export { checkPodTemplate, checkPosture, operatorOverlays, POSTURE_RULES, renderedPodTemplates } from './posture.ts';
export type { PostureFinding } from './posture.ts';
export { CREDENTIAL_DETECTORS, scanForCredentials } from './credential-scan.ts';
export type { CredentialHit } from './credential-scan.ts';

// Schema validation of rendered objects, with its disk cache
export { closeCrdSchema, KUBERNETES_VERSIONS, loadCrdVersions, SchemaValidator } from './validate.ts';
export { cachedValidator, validatorCacheStats } from './ajv-cache.ts';
export { readCache, sha256, writeCache } from './cache.ts';

// Output: YAML and the file tree
export { readTree, renderTree, toYaml, writeTreeAtomically } from './writer.ts';

// Programs run beside Node (kubeconform, kube-score, Helm)
export { findProgram } from './programs.ts';
