// Shared by the grpc-js interop peers: the article's proto (loaded at run time
// with @grpc/proto-loader), the catalogue, grpc-go's code names, logging.
// The packages come from build/npm/ (tools/npm-deps.sh), found through NODE_PATH.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', '..', '..', 'proto', 'api.proto');
const def = protoLoader.loadSync(PROTO, {keepCase: true, defaults: true});
const api = grpc.loadPackageDefinition(def).api;

// The article's catalogue (DESIGN.md section 1), in order.
const CATALOGUE = {
  google: {
    compute: [
      ['Compute Engine', 'https://cloud.google.com/compute/'],
      ['App Engine', 'https://cloud.google.com/appengine/'],
      ['Cloud Functions', 'https://cloud.google.com/functions/'],
      ['Cloud Run', 'https://cloud.google.com/run/'],
      ['GKE', 'https://cloud.google.com/kubernetes-engine/'],
    ],
    storage: [
      ['Cloud Bigtable', 'https://cloud.google.com/bigtable/'],
      ['Cloud Spanner', 'https://cloud.google.com/spanner/'],
      ['Cloud SQL', 'https://cloud.google.com/sql/'],
      ['Cloud Firestore', 'https://cloud.google.com/firestore/'],
      ['Cloud Memorystore', 'https://cloud.google.com/memorystore/'],
      ['BigQuery', 'https://cloud.google.com/bigquery/'],
    ],
  },
  aws: {
    compute: [
      ['Amazon EC2', 'https://aws.amazon.com/ec2/'],
      ['Amazon Lightsail', 'https://aws.amazon.com/lightsail/'],
      ['Amazon ECS', 'https://aws.amazon.com/ecs/'],
      ['Amazon EKS', 'https://aws.amazon.com/eks/'],
      ['AWS Fargate', 'https://aws.amazon.com/fargate/'],
      ['AWS Lambda', 'https://aws.amazon.com/lambda/'],
    ],
    storage: [
      ['Amazon Aurora', 'https://aws.amazon.com/rds/aurora/'],
      ['Amazon RDS', 'https://aws.amazon.com/rds/'],
      ['Amazon Redshift', 'https://aws.amazon.com/redshift/'],
      ['Amazon DynamoDB', 'https://aws.amazon.com/dynamodb/'],
      ['Amazon ElastiCache for Memcached', 'https://aws.amazon.com/elasticache/memcached/'],
      ['Amazon ElastiCache for Redis', 'https://aws.amazon.com/elasticache/redis/'],
      ['Amazon Neptune', 'https://aws.amazon.com/neptune/'],
    ],
  },
  oracle: {
    compute: [
      ['Bare Metal Compute', 'https://www.oracle.com/cloud/compute/bare-metal.html'],
      ['Container Engine for Kubernetes', 'https://www.oracle.com/cloud/compute/container-engine-kubernetes.html'],
      ['Virtual Machines', 'https://www.oracle.com/cloud/compute/virtual-machines.html'],
      ['Oracle Functions', 'https://www.oracle.com/ro/cloud/cloud-native/functions/'],
    ],
    storage: [
      ['Autonomous Data Warehouse', 'https://www.oracle.com/database/adw-cloud.html'],
      ['Autonomous Transaction Processing', 'https://www.oracle.com/database/atp-cloud.html'],
      ['Database Cloud Service: Virtual Machine', 'https://www.oracle.com/database/vm-cloud.html'],
      ['Exadata Cloud Service', 'https://www.oracle.com/database/exadata-cloud-service.html'],
      ['NoSQL Database', 'https://www.oracle.com/database/nosql-cloud.html'],
    ],
  },
};
const PRODUCT_TYPES = ' compute storage';

// grpc-go's names for the status codes, as the CLI prints them.
const GO_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound',
  'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted',
  'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

function log(who, msg) {
  process.stderr.write(`${new Date().toISOString()} node-${who}: ${msg}\n`);
}

// flags(argv, names): parses --name VALUE pairs; returns {opts, rest} or null.
function flags(argv, names) {
  const opts = {};
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i += 2) {
    const k = argv[i].slice(2);
    if (!names.includes(k) || i + 1 >= argv.length) return null;
    opts[k] = argv[i + 1];
  }
  return {opts, rest: argv.slice(i)};
}

// serve(who, addr, service, impl): serves until SIGTERM or SIGINT.
function serve(who, addr, service, impl) {
  const server = new grpc.Server();
  server.addService(service, impl);
  server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) {
      log(who, `cannot listen on ${addr}: ${err.message}`);
      process.exit(1);
    }
    log(who, `listening on ${addr}`);
  });
  const stop = () => {
    server.forceShutdown();
    log(who, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

module.exports = {grpc, api, CATALOGUE, PRODUCT_TYPES, GO_NAMES, log, flags, serve};
