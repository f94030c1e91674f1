import { MalformedGolixPrimitive } from './errors.js';
import { GHID_LENGTH, Ghid } from './ghid.js';

/**
 * A bounds-checked big-endian reader. Every overrun becomes MalformedGolixPrimitive, so
 * parsers never throw RangeError on hostile input.
 */
export class Reader {
  private pos = 0;
  constructor(
    readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new MalformedGolixPrimitive(
        `${this.what}: truncated (needs ${n} bytes at offset ${this.pos}, has ${this.remaining})`,
      );
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  u64(): bigint {
    return this.take(8).readBigUInt64BE(0);
  }

  ghid(): Ghid {
    return Ghid.fromBytes(this.take(GHID_LENGTH));
  }

  /** A list of GHIDs occupying exactly `byteLength` bytes. */
  ghidList(byteLength: number): Ghid[] {
    if (byteLength % GHID_LENGTH !== 0) {
      throw new MalformedGolixPrimitive(`${this.what}: GHID list length ${byteLength} is not a multiple of 65`);
    }
    const out: Ghid[] = [];
    for (let i = 0; i < byteLength / GHID_LENGTH; i++) out.push(this.ghid());
    return out;
  }

  /** Requires that the whole buffer has been consumed: no trailing bytes. */
  end(): void {
    if (this.remaining !== 0) {
      throw new MalformedGolixPrimitive(`${this.what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}
