package fakelambda

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
)

// serveSTS answers the one STS call a layerctl run makes at the endpoint
// it uses for everything (--endpoint-url): GetCallerIdentity, which says
// the double's account. STS speaks the query protocol: a form POSTed to /,
// an XML answer.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "GetCallerIdentity" {
		writeError(w, 400, "InvalidAction", "fakelambda serves only STS GetCallerIdentity, not "+form.Get("Action"))
		return
	}
	type result struct {
		Account string
		Arn     string
		UserId  string
	}
	out, _ := xml.Marshal(struct {
		XMLName  xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result   result   `xml:"GetCallerIdentityResult"`
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}{Result: result{Account: s.Account, Arn: "arn:aws:iam::" + s.Account + ":user/fakelambda", UserId: "AIDAFAKELAMBDA"}})
	w.Header().Set("Content-Type", "text/xml")
	w.Write(append([]byte(xml.Header), out...))
}
