import { Buffer } from 'node:buffer';
import { DEFAULT_MAX_OBJECT_BYTES, Ghid, Secret } from '../golix/index.js';
import { PickleRefused, type PickleFault } from './errors.js';
import { REFERENCE_CLASSES, ShapeMismatch, type ClassSpec } from './pickle-classes.js';
import { KeyRegistry } from './pickle-keys.js';
import { PyDict, PyList, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from './pickle-values.js';
import { REFUSED_OPCODES } from './pickle-opcodes.js';

/** Bounds on one decode; all work and memory are linear in the input within them. */
export interface PickleLimits {
  /** Input size (default: the 10 MiB object limit, which no account object can exceed). */
  maxBytes: number;
  /** Memo entries. */
  maxMemo: number;
  /** Values on the stack, all marks included. */
  maxStack: number;
  /** Open MARKs at once. */
  maxMarks: number;
  /** Nesting of containers and instances (the reference's deepest is 5). */
  maxDepth: number;
  /** Items in one container. */
  maxContainer: number;
}

export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = {
  maxBytes: DEFAULT_MAX_OBJECT_BYTES,
  maxMemo: 1 << 20,
  maxStack: 1 << 16,
  maxMarks: 64,
  maxDepth: 32,
  maxContainer: 1 << 20,
};

export interface PickleOptions {
  limits?: Partial<PickleLimits>;
  /** The allow-list of classes; the reference's by default. */
  classes?: ReadonlyMap<string, ClassSpec>;
}

/**
 * Decodes a Python pickle of protocol 2–4 restricted to plain data: the opcodes the Python
 * Hypergolix uses for its account objects, and the classes of REFERENCE_CLASSES turned into
 * typed values. It never imports, calls or executes anything; every other opcode, class or shape
 * is refused with a PickleRefused naming it and its offset.
 */
export function decodePickle(data: Uint8Array, options: PickleOptions = {}): PyValue {
  const limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const machine = new Machine(buf, limits, options.classes ?? REFERENCE_CLASSES);
  if (buf.length > limits.maxBytes) machine.fail('limit', `${buf.length} bytes exceed the ${limits.maxBytes}-byte limit`);
  return machine.run();
}

/** A class reference pushed by STACK_GLOBAL / GLOBAL: only NEWOBJ may use it. */
class ClassRef {
  constructor(
    readonly name: string,
    readonly spec: ClassSpec,
  ) {}
}

/** An instance made by NEWOBJ that gets its value from the BUILD that follows. */
class Unbuilt {
  value: PyValue = null;
  built = false;
  constructor(
    readonly name: string,
    readonly fromState: (state: PyValue) => PyValue,
  ) {}
}

type Item = PyValue | ClassRef | Unbuilt;
type Handler = (m: Machine) => void;

const PROTOCOLS = { min: 2, max: 4 };
const MAX_GLOBAL_LINE = 256;
// ignoreBOM: a leading U+FEFF is part of the text, as Python reads it, not a mark to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Machine {
  pos = 0;
  private opStart = 0;
  private opName: string | null = null;
  private className: string | null = null;
  private readonly stack: Item[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, Item>();
  private readonly depths = new WeakMap<object, number>();
  /** Containers already placed somewhere: they may not change any more (so no cycles). */
  private readonly sealed = new WeakSet<object>();
  private readonly members = new WeakMap<PyDict | PySet, Set<number>>();
  private readonly keys = new KeyRegistry();
  private result: { value: PyValue } | null = null;

  constructor(
    readonly data: Buffer,
    readonly limits: PickleLimits,
    readonly classes: ReadonlyMap<string, ClassSpec>,
  ) {}

  fail(fault: PickleFault, detail: string): never {
    throw new PickleRefused(fault, this.opStart, this.opName, this.className, detail);
  }

  run(): PyValue {
    while (!this.result) {
      if (this.pos >= this.data.length) this.fail('truncated', 'the pickle ends without STOP');
      this.opStart = this.pos;
      this.className = null;
      const code = this.data[this.pos++]!;
      const op = OPCODES.get(code);
      this.opName = op?.[0] ?? REFUSED_OPCODES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
      if (!op) this.fail('opcode', REFUSED_OPCODES.has(code) ? 'not a plain-data opcode' : 'unknown opcode');
      if (this.opStart === 0 && op[0] !== 'PROTO') this.fail('structure', `not a protocol ${PROTOCOLS.min}–${PROTOCOLS.max} pickle`);
      try {
        op[1](this);
      } catch (err) {
        if (err instanceof ShapeMismatch) this.fail('shape', err.message);
        throw err;
      }
    }
    if (this.pos !== this.data.length) this.fail('structure', `${this.data.length - this.pos} bytes after STOP`);
    return this.result.value;
  }

  // ---- reading the opcode stream

  take(n: number): Buffer {
    if (n > this.data.length - this.pos) this.fail('truncated', `needs ${n} bytes, has ${this.data.length - this.pos}`);
    return this.data.subarray(this.pos, (this.pos += n));
  }

  uint(bytes: 1 | 2 | 4): number {
    return this.take(bytes).readUIntLE(0, bytes);
  }

  /** A newline-terminated ASCII line (GLOBAL's operands). */
  line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('truncated', 'GLOBAL needs two newline-terminated lines');
    if (end - this.pos > MAX_GLOBAL_LINE) this.fail('limit', `a GLOBAL operand longer than ${MAX_GLOBAL_LINE} bytes`);
    const text = this.take(end - this.pos).toString('latin1');
    this.pos++;
    if (!/^[\x20-\x7e]*$/.test(text)) this.fail('shape', 'GLOBAL operands are printable ASCII');
    return text;
  }

  text(raw: Buffer): string {
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail('shape', 'a string is not valid UTF-8');
    }
  }

  // ---- the stack, marks and memo

  push(item: Item): void {
    if (this.stack.length >= this.limits.maxStack) this.fail('limit', `more than ${this.limits.maxStack} values on the stack`);
    this.stack.push(item);
  }

  private get base(): number {
    return this.marks.at(-1) ?? 0;
  }

  pop(): Item {
    if (this.stack.length <= this.base) this.fail('structure', 'stack underflow');
    return this.stack.pop()!;
  }

  top(): Item {
    if (this.stack.length <= this.base) this.fail('structure', 'stack underflow');
    return this.stack.at(-1)!;
  }

  replaceTop(item: Item): void {
    this.stack[this.stack.length - 1] = item;
  }

  mark(): void {
    if (this.marks.length >= this.limits.maxMarks) this.fail('limit', `more than ${this.limits.maxMarks} open MARKs`);
    this.marks.push(this.stack.length);
  }

  /** Everything above the newest MARK, as values, oldest first. */
  popMark(): PyValue[] {
    const at = this.marks.pop();
    if (at === undefined) this.fail('structure', 'no MARK to pop to');
    return this.stack.splice(at).map((item) => this.value(item));
  }

  memoPut(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= this.limits.maxMemo) this.fail('limit', `more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(index, this.top());
  }

  memoSize(): number {
    return this.memo.size;
  }

  memoGet(index: number): void {
    const item = this.memo.get(index);
    if (item === undefined) this.fail('structure', `memo entry ${index} is missing`);
    this.push(item instanceof Unbuilt && item.built ? item.value : item);
  }

  finish(): void {
    if (this.marks.length > 0) this.fail('structure', 'STOP with an open MARK');
    if (this.stack.length !== 1) this.fail('structure', `STOP with ${this.stack.length} values on the stack`);
    this.result = { value: this.value(this.stack.pop()!) };
  }

  // ---- values

  /** An item used as data: classes and unbuilt instances are refused; containers are sealed. */
  value(item: Item): PyValue {
    if (item instanceof ClassRef) throw new ShapeMismatch(`the class ${item.name} itself is not data`);
    if (item instanceof Unbuilt) {
      if (!item.built) throw new ShapeMismatch(`an instance of ${item.name} is used before BUILD gave it its state`);
      return item.value;
    }
    if (item instanceof PyList || item instanceof PyDict || item instanceof PySet) this.sealed.add(item);
    return item;
  }

  container<T extends PyList | PyDict | PySet>(kind: new () => T): T {
    const top = this.top();
    if (!(top instanceof kind)) throw new ShapeMismatch(`expected a ${kind.name} below the items, found ${describe(top)}`);
    if (this.sealed.has(top)) this.fail('structure', 'a container is changed after it was used');
    return top;
  }

  /** Records that `child` now sits inside `parent`, enforcing the depth and size bounds. */
  nest(parent: object, child: PyValue, size: number): void {
    if (size > this.limits.maxContainer) this.fail('limit', `a container of more than ${this.limits.maxContainer} items`);
    const depth = this.depthOf(child) + 1;
    if (depth > this.limits.maxDepth) this.fail('limit', `nesting deeper than ${this.limits.maxDepth}`);
    if (depth > this.depthOf(parent)) this.depths.set(parent, depth);
  }

  /** 0 for scalars, bytes, GHIDs and secrets; 1 for an empty container or an instance; more when nested. */
  private depthOf(v: PyValue | object): number {
    if (typeof v !== 'object' || v === null || Buffer.isBuffer(v) || v instanceof Ghid || v instanceof Secret) return 0;
    return this.depths.get(v) ?? 1;
  }

  /** Adds a key to a dict's or a set's members; a repeated key is refused (the reference writes none). */
  addMember(owner: PyDict | PySet, key: PyValue): void {
    let seen = this.members.get(owner);
    if (!seen) this.members.set(owner, (seen = new Set()));
    const id = this.keys.id(key);
    if (seen.has(id)) throw new ShapeMismatch('a key appears twice in one dict or set');
    seen.add(id);
  }

  tuple(items: PyValue[]): PyTuple {
    const tuple = new PyTuple(items);
    for (const item of items) this.nest(tuple, item, items.length);
    return tuple;
  }

  // ---- classes

  global(name: string): void {
    this.className = name;
    const spec = this.classes.get(name);
    if (!spec) this.fail('global', 'class not in the allow-list');
    this.push(new ClassRef(name, spec));
  }

  newobj(): void {
    const args = this.value(this.pop());
    const cls = this.pop();
    if (!(cls instanceof ClassRef)) throw new ShapeMismatch(`NEWOBJ needs a class, found ${describe(cls)}`);
    this.className = cls.name;
    if (!(args instanceof PyTuple)) throw new ShapeMismatch('NEWOBJ needs a tuple of arguments');
    if (cls.spec.kind === 'args') return this.push(this.settle(cls.spec.fromArgs(args.items)));
    if (args.items.length > 0) throw new ShapeMismatch('this class is built from its state, without arguments');
    this.push(new Unbuilt(cls.name, cls.spec.fromState));
  }

  build(): void {
    const state = this.value(this.pop());
    const inst = this.top();
    if (!(inst instanceof Unbuilt) || inst.built) throw new ShapeMismatch(`BUILD applies to a new instance, found ${describe(inst)}`);
    this.className = inst.name;
    inst.value = this.settle(inst.fromState(state));
    inst.built = true;
    this.replaceTop(inst.value);
  }

  /** Records the nesting of a value a class produced. */
  private settle(v: PyValue): PyValue {
    if (v instanceof SetMap) {
      for (const [key, set] of v.entries) {
        this.nest(v, key, v.entries.length);
        this.nest(v, set, v.entries.length);
      }
    }
    if (v instanceof ShareLog || v instanceof SharePair) this.nest(v, v.ghid, 2);
    return v;
  }
}

function describe(item: Item): string {
  if (item === null) return 'None';
  if (typeof item !== 'object') return typeof item;
  return Buffer.isBuffer(item) ? 'bytes' : item.constructor.name;
}

function longToNumber(m: Machine, raw: Buffer): number {
  if (raw.length === 0) return 0;
  let n = 0n;
  for (let i = raw.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(raw[i]!);
  if (raw[raw.length - 1]! & 0x80) n -= 1n << BigInt(8 * raw.length);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) m.fail('limit', 'an integer beyond ±2^53');
  return Number(n);
}

function appendItems(m: Machine, items: PyValue[]): void {
  const list = m.container(PyList);
  for (const item of items) {
    list.items.push(item);
    m.nest(list, item, list.items.length);
  }
}

function setItems(m: Machine, items: PyValue[]): void {
  if (items.length % 2 !== 0) m.fail('structure', 'SETITEMS needs key/value pairs');
  const dict = m.container(PyDict);
  for (let i = 0; i < items.length; i += 2) {
    const [key, value] = [items[i]!, items[i + 1]!];
    m.addMember(dict, key);
    dict.entries.push([key, value]);
    m.nest(dict, key, dict.entries.length);
    m.nest(dict, value, dict.entries.length);
  }
}

function addItems(m: Machine, items: PyValue[]): void {
  const set = m.container(PySet);
  for (const item of items) {
    m.addMember(set, item);
    set.items.push(item);
    m.nest(set, item, set.items.length);
  }
}

function protocol(m: Machine): void {
  const version = m.uint(1);
  if (m.pos !== 2) m.fail('structure', 'PROTO after the start');
  if (version < PROTOCOLS.min || version > PROTOCOLS.max) m.fail('structure', `protocol ${version} is not one the reference writes (${PROTOCOLS.min}–${PROTOCOLS.max})`);
}

function frame(m: Machine): void {
  const length = m.take(8).readBigUInt64LE();
  if (length > BigInt(m.data.length - m.pos)) m.fail('truncated', `a frame of ${length} bytes runs past the end`);
}

const pushValue = (make: (m: Machine) => PyValue): Handler => (m) => m.push(make(m));

/** The plain-data subset: each opcode's Python name and what it does. */
const OPCODES = new Map<number, readonly [string, Handler]>([
  [0x80, ['PROTO', protocol]],
  [0x95, ['FRAME', frame]],
  [0x2e, ['STOP', (m) => m.finish()]],
  [0x28, ['MARK', (m) => m.mark()]],
  [0x94, ['MEMOIZE', (m) => m.memoPut(m.memoSize())]],
  [0x71, ['BINPUT', (m) => m.memoPut(m.uint(1))]],
  [0x72, ['LONG_BINPUT', (m) => m.memoPut(m.uint(4))]],
  [0x68, ['BINGET', (m) => m.memoGet(m.uint(1))]],
  [0x6a, ['LONG_BINGET', (m) => m.memoGet(m.uint(4))]],
  [0x7d, ['EMPTY_DICT', pushValue(() => new PyDict())]],
  [0x5d, ['EMPTY_LIST', pushValue(() => new PyList())]],
  [0x8f, ['EMPTY_SET', pushValue(() => new PySet())]],
  [0x29, ['EMPTY_TUPLE', pushValue(() => new PyTuple([]))]],
  [0x85, ['TUPLE1', pushValue((m) => m.tuple([m.value(m.pop())]))]],
  [0x86, ['TUPLE2', pushValue((m) => m.tuple([m.value(m.pop()), m.value(m.pop())].reverse()))]],
  [0x87, ['TUPLE3', pushValue((m) => m.tuple([m.value(m.pop()), m.value(m.pop()), m.value(m.pop())].reverse()))]],
  [0x74, ['TUPLE', pushValue((m) => m.tuple(m.popMark()))]],
  [0x61, ['APPEND', (m) => appendItems(m, [m.value(m.pop())])]],
  [0x65, ['APPENDS', (m) => appendItems(m, m.popMark())]],
  [0x73, ['SETITEM', (m) => setItems(m, [m.value(m.pop()), m.value(m.pop())].reverse())]],
  [0x75, ['SETITEMS', (m) => setItems(m, m.popMark())]],
  [0x90, ['ADDITEMS', (m) => addItems(m, m.popMark())]],
  [0x43, ['SHORT_BINBYTES', pushValue((m) => Buffer.from(m.take(m.uint(1))))]],
  [0x42, ['BINBYTES', pushValue((m) => Buffer.from(m.take(m.uint(4))))]],
  [0x55, ['SHORT_BINSTRING', pushValue((m) => asciiString(m, m.take(m.uint(1))))]],
  [0x8c, ['SHORT_BINUNICODE', pushValue((m) => m.text(m.take(m.uint(1))))]],
  [0x58, ['BINUNICODE', pushValue((m) => m.text(m.take(m.uint(4))))]],
  [0x4b, ['BININT1', pushValue((m) => m.uint(1))]],
  [0x4d, ['BININT2', pushValue((m) => m.uint(2))]],
  [0x4a, ['BININT', pushValue((m) => m.take(4).readInt32LE())]],
  [0x8a, ['LONG1', pushValue((m) => longToNumber(m, m.take(m.uint(1))))]],
  [0x4e, ['NONE', pushValue(() => null)]],
  [0x88, ['NEWTRUE', pushValue(() => true)]],
  [0x89, ['NEWFALSE', pushValue(() => false)]],
  [0x63, ['GLOBAL', (m) => m.global(`${m.line()}.${m.line()}`)]],
  [0x93, ['STACK_GLOBAL', stackGlobal]],
  [0x81, ['NEWOBJ', (m) => m.newobj()]],
  [0x62, ['BUILD', (m) => m.build()]],
]);

/** Python 3 reads a protocol-2 `str` as ASCII text by default. */
function asciiString(m: Machine, raw: Buffer): string {
  if (raw.some((b) => b > 0x7f)) m.fail('shape', 'a SHORT_BINSTRING is not ASCII');
  return raw.toString('latin1');
}

function stackGlobal(m: Machine): void {
  const name = m.value(m.pop());
  const module = m.value(m.pop());
  if (typeof module !== 'string' || typeof name !== 'string') throw new ShapeMismatch('STACK_GLOBAL needs a module and a name string');
  m.global(`${module}.${name}`);
}
