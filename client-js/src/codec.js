// The two encodings of SPEC §4, chosen by the WebSocket subprotocol: JSON in text frames
// and MessagePack maps (named fields) in binary frames. The MessagePack functions are
// handed in, so that this library has no dependency of its own.

/** @typedef {import('./index.js').Codec} Codec */

/** @type {Codec} */
export const jsonCodec = Object.freeze({
  subprotocol: 'bidroom.v1.json',
  /** @param {object} message */
  encode(message) {
    return JSON.stringify(message);
  },
  /** @param {unknown} data */
  decode(data) {
    if (typeof data !== 'string') {
      throw new TypeError('bidroom.v1.json carries text frames; got a binary frame');
    }
    return JSON.parse(data);
  },
});

/**
 * The MessagePack codec over a MessagePack implementation, e.g. `@msgpack/msgpack`:
 * `msgpackCodec({ encode, decode })`.
 * @param {{ encode: (value: unknown) => Uint8Array, decode: (bytes: Uint8Array) => unknown }} msgpack
 * @returns {Codec}
 */
export function msgpackCodec(msgpack) {
  if (typeof msgpack?.encode !== 'function' || typeof msgpack?.decode !== 'function') {
    throw new TypeError('msgpackCodec needs { encode, decode } functions, e.g. from @msgpack/msgpack');
  }
  return Object.freeze({
    subprotocol: 'bidroom.v1.msgpack',
    binaryType: 'arraybuffer',
    /** @param {object} message */
    encode(message) {
      return msgpack.encode(message);
    },
    /** @param {unknown} data */
    decode(data) {
      if (typeof data === 'string') {
        throw new TypeError('bidroom.v1.msgpack carries binary frames; got a text frame');
      }
      return msgpack.decode(toBytes(data));
    },
  });
}

/**
 * @param {unknown} data an ArrayBuffer (browsers, `binaryType = 'arraybuffer'`) or a view
 * @returns {Uint8Array}
 */
function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('a binary frame must be an ArrayBuffer or a typed array');
}
