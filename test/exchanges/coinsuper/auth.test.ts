/** The worked clientId / sign examples of protocols.md §4.2 as test vectors, and the login check. */
import { describe, expect, it } from 'vitest';
import { parsePrivatePassword, privatePassword, privateSign, publicClientId, redactedPrivatePassword, verifyPrivateLogin } from '../../../exchanges/coinsuper/auth.js';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { PUBLIC_USER_CODE } from '../../../exchanges/coinsuper/protocol.js';
import { fixture } from './fixtures.js';

interface Vectors {
  accessKey: string;
  secretKey: string;
  email: string;
  publicTopic: string;
  publicClientId: string;
  timestampMs: number;
  sign: string;
  privatePassword: string;
  publicUserCode: string;
}
const v = fixture<Vectors>('auth-vectors');

describe('coinsuper login vectors', () => {
  it('public clientId = md5(access_key) + md5(email) + md5(full topic)', () => {
    expect(publicClientId(v.accessKey, v.email, v.publicTopic)).toBe(v.publicClientId);
    expect(v.publicClientId).toHaveLength(96);
  });

  it('private sign and password', () => {
    expect(privateSign(v.accessKey, v.secretKey, v.email, v.timestampMs)).toBe(v.sign);
    expect(privatePassword(v, v.timestampMs)).toBe(v.privatePassword);
  });

  it('the demo credentials are the worked example’s, and the public userCode is the published one', () => {
    expect(coinsuper.demoCredentials).toEqual({ accessKey: v.accessKey, secretKey: v.secretKey, email: v.email });
    expect(PUBLIC_USER_CODE).toBe(v.publicUserCode);
  });

  it('verifies a private login against the accepted credentials', () => {
    const accepted = [
      { accessKey: 'other', secretKey: 'x', email: 'o@x.y' },
      { accessKey: v.accessKey, secretKey: v.secretKey, email: v.email },
    ];
    expect(verifyPrivateLogin(v.accessKey, v.privatePassword, accepted)).toEqual({ accessKey: v.accessKey, secretKey: v.secretKey, email: v.email });
    expect(verifyPrivateLogin('other', v.privatePassword, accepted)).toBeNull(); // clientId is not this key
    expect(verifyPrivateLogin(v.accessKey, v.privatePassword.replace('7e77', '7e78'), accepted)).toBeNull();
    expect(verifyPrivateLogin(v.accessKey, v.privatePassword.replace('demouser', 'demoUser'), accepted)).toBeNull();
    expect(verifyPrivateLogin(v.accessKey, 'not,a-password', accepted)).toBeNull();
    expect(verifyPrivateLogin(v.accessKey, v.privatePassword, [{ accessKey: v.accessKey }])).toBeNull(); // incomplete entry
  });

  it('redacts the sign but keeps the password length', () => {
    const red = redactedPrivatePassword(v.email, v.timestampMs);
    expect(red).toHaveLength(v.privatePassword.length);
    expect(red).not.toContain(v.sign);
    expect(parsePrivatePassword(v.privatePassword)).toEqual({ email: v.email, timestampMs: String(v.timestampMs), sign: v.sign });
  });
});
