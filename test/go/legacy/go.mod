// The go-plugin 1.0.1 peers: hashicorp/go-plugin v1.0.1 with exactly the versions its own go.mod
// requires (grpc v1.14.0, golang/protobuf v1.2.0, ...), so its plugin and host code run as they
// shipped; they build unchanged with today's Go.
module gopluginpeers/legacy

go 1.26.0

require (
	github.com/hashicorp/go-hclog v0.0.0-20180709165350-ff2cf002a8dd
	github.com/hashicorp/go-plugin v1.0.1
	google.golang.org/grpc v1.14.0
)

require (
	github.com/golang/protobuf v1.2.0 // indirect
	github.com/hashicorp/yamux v0.0.0-20180604194846-3520598351bb // indirect
	github.com/mitchellh/go-testing-interface v0.0.0-20171004221916-a61a99592b77 // indirect
	github.com/oklog/run v1.0.0 // indirect
	golang.org/x/net v0.0.0-20180826012351-8a410e7b638d // indirect
	golang.org/x/sys v0.0.0-20190129075346-302c3dd5f1cc // indirect
	golang.org/x/text v0.3.0 // indirect
	google.golang.org/genproto v0.0.0-20180817151627-c66870c02cf8 // indirect
)
