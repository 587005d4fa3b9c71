/** Test helpers: a desired state that enables SQLite. */

/** A platform.yaml with one SQLite volume (vaultwarden), and the entries of `extraApps` after it. */
export const platformYaml = (extraApps: string) => `cluster: t
storage: { block: proxmox-lvm, nfs: [nfs-client] }
backups: { nfs: { server: n, path: /x } }
monitoring: { pushgateway: "http://p:9091", runbookBaseUrl: "https://e.org/r" }
tenants: []
sqlite:
  - { app: vaultwarden, size: 1Gi }
${extraApps}`;
