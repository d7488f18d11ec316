// Package awssecret reads the secret references that name AWS services:
// ssm: (SSM Parameter Store parameters, decrypted) and secretsmanager:
// (the SecretString of a Secrets Manager secret). Its SSM and
// SecretsManager are secret.Sources; Sources builds both from the AWS
// configuration of a process, on first use.
//
// Core packages (pkg/journey, pkg/worker, …) resolve references through
// secret.Resolver and never import this package: the mains hand its
// sources to them (package awsenv builds them from the one AWS
// configuration a process loads), so that only the mains link the AWS
// SDK.
//
// A parameter or secret named by ARN is fetched from the ARN's region; one
// named by name, from the region of the AWS configuration. Errors say what
// went wrong without quoting an answer that might hold the secret: one that
// does not decode is "malformed answer"; ParameterNotFound,
// ParameterVersionNotFound and ResourceNotFoundException wrap
// secret.ErrNotFound.
package awssecret
