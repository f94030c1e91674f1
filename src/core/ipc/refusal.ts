import { HypergolixError } from '../golix/index.js';
import { IPC_ERROR_CODE } from '../../wire/index.js';

/** A refusal on the IPC wire: `NK FFFF` (the reference's IPCError code, §4.1). */
export class IpcRefusal extends HypergolixError {
  override readonly code = IPC_ERROR_CODE;
}
