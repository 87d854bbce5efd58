/**
 * `--mqtt-port` of `simulate` and `replay`: by default the HTTP port + 1 (9002 next to the
 * simulator's 9001, 8002 next to the replay's 8001), any free port when the HTTP port is 0, `0`
 * for any free port, `off` for none; anything else is refused naming the flag.
 */
import { describe, expect, it } from 'vitest';
import { resolveMqttPort } from '../../core/mqtt-port.js';
import { parseReplayOptions } from '../../replay/options-schema.js';
import { parseSimulatorOptions } from '../../simulator/options-schema.js';
import { REPLAY_DEFAULTS } from '../../replay/options.js';
import { DEFAULT_SIM_PORT } from '../../simulator/server.js';

describe('--mqtt-port', () => {
  it('defaults to the HTTP port + 1: 9002 for the simulator, 8002 for the replay', () => {
    expect(resolveMqttPort(DEFAULT_SIM_PORT, undefined)).toBe(9002);
    expect(resolveMqttPort(REPLAY_DEFAULTS.port, undefined)).toBe(8002);
    expect(resolveMqttPort(12345, undefined)).toBe(12346);
  });

  it('is any free port when the HTTP port is 0, or when given 0', () => {
    expect(resolveMqttPort(0, undefined)).toBe(0);
    expect(resolveMqttPort(9001, 0)).toBe(0);
  });

  it('is none with off, and the given port otherwise', () => {
    expect(resolveMqttPort(9001, 'off')).toBeNull();
    expect(resolveMqttPort(0, 'off')).toBeNull();
    expect(resolveMqttPort(9001, 1883)).toBe(1883);
  });

  it('refuses what is not a port, naming the flag', () => {
    for (const bad of ['-1', '65536', 'tcp', '1.5', '']) {
      expect(() => parseSimulatorOptions({ mqttPort: bad }, 'flag')).toThrow(/--mqtt-port/);
      expect(() => parseReplayOptions({ mqttPort: bad }, 'flag')).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
    }
    expect(() => parseSimulatorOptions({ mqttPort: 'x' }, 'option')).toThrow(/mqttPort/);
    expect(parseSimulatorOptions({ port: '9001', mqttPort: '1883' }, 'flag').mqttPort).toBe(1883);
    expect(parseReplayOptions({ port: 0 }, 'option').mqttPort).toBe(0);
    expect(() => resolveMqttPort(65535, undefined)).toThrow(expect.objectContaining({ code: 'TT_CONFIG_INVALID' }));
  });
});
