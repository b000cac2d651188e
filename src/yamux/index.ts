export { createSession, YamuxProtocolError, type SessionOptions, type YamuxSession } from './session.js';
export { YamuxStream } from './stream.js';
export { INITIAL_STREAM_WINDOW, GoAwayCode } from './frame.js';
