module db-platform/tools/exporters/redis-exporter-v1.62

go 1.26.0

require github.com/oliver006/redis_exporter v1.62.0
