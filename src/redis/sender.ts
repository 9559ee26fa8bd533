import type { Cluster, Redis } from 'ioredis';
import { commandName, SCRIPTS, type ScriptName } from './scripts/index.js';

type ScriptFn = (numberOfKeys: number, ...args: unknown[]) => Promise<unknown>;

/** One command to send: a script of the store, or `HMGET`. Every key of one command shares a hash tag. */
export interface Command {
  name: ScriptName | 'hmget';
  keys: string[];
  args: Array<string | number>;
}

/**
 * One store operation as commands to send and what to make of their replies (one promise per command,
 * in order), so that the commands of several operations can share one round trip.
 */
export interface Part<T> {
  commands: Command[];
  finish(replies: Array<Promise<unknown>>): Promise<T>;
}

/** A promise that has already failed, with its rejection handled (the caller reads it later). */
function rejected(error: unknown): Promise<never> {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  return promise;
}

/**
 * Sends the store's commands: its Lua scripts, defined on the client with `defineCommand` (`EVALSHA`,
 * falling back to `EVAL`), and plain commands.
 */
export class Sender {
  readonly #client: Redis | Cluster;
  readonly #cluster: boolean;
  readonly #scripts: Record<ScriptName, ScriptFn>;
  readonly #names: Record<ScriptName, string>;

  constructor(client: Redis | Cluster) {
    this.#client = client;
    this.#cluster = (client as { isCluster?: boolean }).isCluster === true;
    const commands = client as unknown as Record<string, ScriptFn | undefined>;
    const scripts = {} as Record<ScriptName, ScriptFn>;
    const names = {} as Record<ScriptName, string>;
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const command = commandName(name);
      // Named after the script's hash: an existing command of that name is this very script.
      if (typeof commands[command] !== 'function') client.defineCommand(command, { lua: SCRIPTS[name] });
      scripts[name] = (...args) => (commands[command] as ScriptFn).apply(client, args);
      names[name] = command;
    }
    this.#scripts = scripts;
    this.#names = names;
  }

  /** Runs one script. */
  run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.#scripts[name](keys.length, ...keys, ...args.map(String));
  }

  #call({ name, keys, args }: Command): Promise<unknown> {
    if (name === 'hmget') return this.#client.hmget(keys[0]!, ...args.map(String));
    return this.run(name, keys, args);
  }

  /**
   * Sends commands in one round trip; each reply is its own promise, settled as soon as that command is
   * answered. Several commands go in one pipeline (one write); on a Cluster, whose pipelines must stay
   * on one node, each command goes on its own, all at once.
   */
  send(commands: Command[]): Array<Promise<unknown>> {
    if (commands.length <= 1 || this.#cluster) return commands.map((command) => this.#call(command));
    const pipeline = this.#client.pipeline();
    const queue = pipeline as unknown as Record<string, ScriptFn>;
    const fails: Array<(error: unknown) => void> = [];
    const replies = commands.map(
      ({ name, keys, args }) =>
        new Promise<unknown>((resolve, reject) => {
          fails.push(reject);
          const text = args.map(String);
          const callback = (error?: Error | null, value?: unknown) =>
            error ? reject(error) : resolve(value);
          if (name === 'hmget') pipeline.hmget(keys[0]!, ...text, callback);
          else queue[this.#names[name]]!(keys.length, ...keys, ...text, callback);
        }),
    );
    // Each command's callback answers it; a pipeline refused as a whole fails those still unanswered.
    pipeline.exec().catch((error: unknown) => {
      for (const fail of fails) fail(error);
    });
    return replies;
  }

  /** One operation on its own. */
  one<T>(part: Part<T>): Promise<T> {
    return part.finish(this.send(part.commands));
  }

  /**
   * The commands of several operations in one round trip, each operation answered with its own promise.
   * An operation whose arguments are refused (its builder throws) is answered with that error.
   */
  batch(builders: Record<string, (() => Part<unknown>) | undefined>): Record<string, Promise<unknown>> {
    const built: Array<[string, Part<unknown> | { error: unknown }]> = [];
    for (const [name, build] of Object.entries(builders)) {
      if (!build) continue;
      try {
        built.push([name, build()]);
      } catch (error) {
        built.push([name, { error }]);
      }
    }
    const replies = this.send(built.flatMap(([, part]) => ('commands' in part ? part.commands : [])));
    let offset = 0;
    const answers: Record<string, Promise<unknown>> = {};
    for (const [name, part] of built) {
      if (!('commands' in part)) {
        answers[name] = rejected(part.error);
        continue;
      }
      const mine = replies.slice(offset, offset + part.commands.length);
      offset += part.commands.length;
      const answer = part.finish(mine);
      // Handled here too: the caller may look at it only a little later.
      answer.catch(() => {});
      answers[name] = answer;
    }
    return answers;
  }
}
