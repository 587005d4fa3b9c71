module db-platform/tools/exporters/mysqld-exporter-v0.17

go 1.26.0

require github.com/prometheus/mysqld_exporter v0.17.2
