package ecr

import "testing"

func TestParseRegistryHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host        string
		wantAccount string
		wantRegion  string
		wantOK      bool
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012", "eu-west-1", true},
		{"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", true},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "123456789012", "us-east-1", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", true},
		{"123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn", "123456789012", "cn-northwest-1", true},
		{"123456789012.dkr-ecr.eu-central-1.on.aws", "123456789012", "eu-central-1", true},
		{"123456789012.dkr-ecr-fips.us-west-2.on.aws", "123456789012", "us-west-2", true},
		{"123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM", "123456789012", "eu-west-1", true},

		{"", "", "", false},
		{"12345678901.dkr.ecr.eu-west-1.amazonaws.com", "", "", false},   // 11 digits
		{"1234567890123.dkr.ecr.eu-west-1.amazonaws.com", "", "", false}, // 13 digits
		{"abcdefghijkl.dkr.ecr.eu-west-1.amazonaws.com", "", "", false},
		{"dkr.ecr.eu-west-1.amazonaws.com", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com:443", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", "", "", false},
		{"x.123456789012.dkr.ecr.eu-west-1.amazonaws.com", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn", "", "", false}, // .cn outside China
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com", "", "", false},   // China without .cn
		{"123456789012.dkr-ecr.cn-north-1.on.aws", "", "", false},
		{"123456789012.dkr.ecr.europe.amazonaws.com", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.on.aws", "", "", false},
		{"123456789012.dkr-ecr.eu-west-1.amazonaws.com", "", "", false},
		{"public.ecr.aws", "", "", false},
		{"ghcr.io", "", "", false},
		{"localhost:5000", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			account, region, ok := ParseRegistryHost(tt.host)
			if account != tt.wantAccount || region != tt.wantRegion || ok != tt.wantOK {
				t.Errorf("ParseRegistryHost(%q)\nhave %q, %q, %v\nwant %q, %q, %v",
					tt.host, account, region, ok, tt.wantAccount, tt.wantRegion, tt.wantOK)
			}
		})
	}
}

func TestRegistryHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		account, region, want string
	}{
		{"123456789012", "eu-west-1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"},
		{"123456789012", "us-gov-east-1", "123456789012.dkr.ecr.us-gov-east-1.amazonaws.com"},
		{"123456789012", "cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			t.Parallel()
			have := RegistryHost(tt.account, tt.region)
			if have != tt.want {
				t.Errorf("RegistryHost(%q, %q)\nhave %q\nwant %q", tt.account, tt.region, have, tt.want)
			}
			account, region, ok := ParseRegistryHost(have)
			if !ok || account != tt.account || region != tt.region {
				t.Errorf("ParseRegistryHost(%q) = %q, %q, %v; want the round trip %q, %q, true", have, account, region, ok, tt.account, tt.region)
			}
		})
	}
}
