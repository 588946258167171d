// Errors the engine raises on purpose carry an EngineErrorCode, so that the engine process can send them
// as structured JSON-RPC errors and clients can tell a broken pack from a broken image from a bug.
import { EngineErrorCode } from '../shared/engineProtocol';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const packError = (message: string): EngineError => new EngineError(EngineErrorCode.PackInvalid, message);
export const imageError = (message: string): EngineError => new EngineError(EngineErrorCode.ImageInvalid, message);
export const badInput = (message: string): EngineError => new EngineError(EngineErrorCode.BadInput, message);

export class CancelledError extends EngineError {
  constructor(message = 'request cancelled') {
    super(EngineErrorCode.Cancelled, message);
    this.name = 'CancelledError';
  }
}
