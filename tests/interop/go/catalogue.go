package main

// The article's catalogue (DESIGN.md section 1), in order.
type product struct{ title, url string }

var catalogue = map[string]map[string][]product{
	"google": {
		"compute": {
			{"Compute Engine", "https://cloud.google.com/compute/"},
			{"App Engine", "https://cloud.google.com/appengine/"},
			{"Cloud Functions", "https://cloud.google.com/functions/"},
			{"Cloud Run", "https://cloud.google.com/run/"},
			{"GKE", "https://cloud.google.com/kubernetes-engine/"},
		},
		"storage": {
			{"Cloud Bigtable", "https://cloud.google.com/bigtable/"},
			{"Cloud Spanner", "https://cloud.google.com/spanner/"},
			{"Cloud SQL", "https://cloud.google.com/sql/"},
			{"Cloud Firestore", "https://cloud.google.com/firestore/"},
			{"Cloud Memorystore", "https://cloud.google.com/memorystore/"},
			{"BigQuery", "https://cloud.google.com/bigquery/"},
		},
	},
	"aws": {
		"compute": {
			{"Amazon EC2", "https://aws.amazon.com/ec2/"},
			{"Amazon Lightsail", "https://aws.amazon.com/lightsail/"},
			{"Amazon ECS", "https://aws.amazon.com/ecs/"},
			{"Amazon EKS", "https://aws.amazon.com/eks/"},
			{"AWS Fargate", "https://aws.amazon.com/fargate/"},
			{"AWS Lambda", "https://aws.amazon.com/lambda/"},
		},
		"storage": {
			{"Amazon Aurora", "https://aws.amazon.com/rds/aurora/"},
			{"Amazon RDS", "https://aws.amazon.com/rds/"},
			{"Amazon Redshift", "https://aws.amazon.com/redshift/"},
			{"Amazon DynamoDB", "https://aws.amazon.com/dynamodb/"},
			{"Amazon ElastiCache for Memcached", "https://aws.amazon.com/elasticache/memcached/"},
			{"Amazon ElastiCache for Redis", "https://aws.amazon.com/elasticache/redis/"},
			{"Amazon Neptune", "https://aws.amazon.com/neptune/"},
		},
	},
	"oracle": {
		"compute": {
			{"Bare Metal Compute", "https://www.oracle.com/cloud/compute/bare-metal.html"},
			{"Container Engine for Kubernetes", "https://www.oracle.com/cloud/compute/container-engine-kubernetes.html"},
			{"Virtual Machines", "https://www.oracle.com/cloud/compute/virtual-machines.html"},
			{"Oracle Functions", "https://www.oracle.com/ro/cloud/cloud-native/functions/"},
		},
		"storage": {
			{"Autonomous Data Warehouse", "https://www.oracle.com/database/adw-cloud.html"},
			{"Autonomous Transaction Processing", "https://www.oracle.com/database/atp-cloud.html"},
			{"Database Cloud Service: Virtual Machine", "https://www.oracle.com/database/vm-cloud.html"},
			{"Exadata Cloud Service", "https://www.oracle.com/database/exadata-cloud-service.html"},
			{"NoSQL Database", "https://www.oracle.com/database/nosql-cloud.html"},
		},
	},
}

// productTypes is GetVendorProdTypes' answer (the article's, leading space included).
const productTypes = " compute storage"
