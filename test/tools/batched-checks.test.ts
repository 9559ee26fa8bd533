import { memoryStore } from 'agent-warden';
import { batchedChecks } from './batched-checks.js';

batchedChecks('memoryStore', () => memoryStore());
