#!/usr/bin/env bash
# The official image's tool of the same name (docker-compose.yml's health check of kafka runs it).
exec java -Xmx128m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  "-Dlog4j2.configurationFile=file:/opt/kafka/config/tools-log4j2.properties" -cp "/opt/kafka/libs/*" \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
