module db-platform/tools/exporters/postgres-exporter-v0.17

go 1.26.0

require github.com/prometheus-community/postgres_exporter v0.17.1
