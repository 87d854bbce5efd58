#!/usr/bin/env bash
# Installs the Debian packages the tests drive as third-party clients: headless Chromium (the
# Coinceres demo page, the HTML report), Paho MQTT for Python (Coinsuper's own Python demo), a JDK
# with javax.websocket (Tomcat) and Jackson (Nexus' own Java demo), systemd-analyze (the unit file),
# openssl (self-signed certificates for the TLS listeners).
# Without them those tests are skipped with a message (and fail under TICKTAPE_TEST_STRICT=1, as in CI).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  chromium python3-paho-mqtt default-jdk libtomcat9-java libjackson2-databind-java systemd openssl >/dev/null
