export { createSession as createYamuxSession, YamuxProtocolError, type SessionOptions as YamuxSessionOptions, type YamuxSession } from './session.js';
export { YamuxStream } from './stream.js';
export { INITIAL_STREAM_WINDOW as YAMUX_INITIAL_STREAM_WINDOW } from './frame.js';
